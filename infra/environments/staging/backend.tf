# Remote state: the bucket and lock table made once by infra/bootstrap.
# The lock table stops two applies from running at once.
terraform {
  backend "s3" {
    bucket         = "voice-campaigns-terraform-state"
    key            = "staging/terraform.tfstate"
    region         = "eu-central-1"
    encrypt        = true
    dynamodb_table = "voice-campaigns-terraform-locks"
  }
}
