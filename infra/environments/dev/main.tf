provider "aws" {
  region = var.region
  default_tags {
    tags = {
      project    = "voice-campaigns"
      stage      = var.stage
      managed-by = "terraform"
    }
  }
}

# Where the replicated buckets live (used only when replica_region is set).
provider "aws" {
  alias  = "replica"
  region = coalesce(var.replica_region, var.region)
  default_tags {
    tags = {
      project    = "voice-campaigns"
      stage      = var.stage
      managed-by = "terraform"
    }
  }
}

module "stack" {
  source = "../../modules/stack"
  providers = {
    aws         = aws
    aws.replica = aws.replica
  }

  stage                   = var.stage
  table_prefix            = var.table_prefix
  dashboard_origins       = var.dashboard_origins
  availability_zones      = var.availability_zones
  vpc_cidr                = var.vpc_cidr
  deletion_protection     = var.deletion_protection
  replica_region          = var.replica_region
  log_retention_days      = var.log_retention_days
  telephony_host          = var.telephony_host
  carrier_cidrs           = var.carrier_cidrs
  carrier_sip_host        = var.carrier_sip_host
  carrier_sip_port        = var.carrier_sip_port
  telephony_instance_type = var.telephony_instance_type
  telephony_bundle_key    = var.telephony_bundle_key
  telephony_bundle_sha256 = var.telephony_bundle_sha256
  alarm_emails            = var.alarm_emails
}
