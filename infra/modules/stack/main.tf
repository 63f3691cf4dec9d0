# One stage's infrastructure: what the SAM application runs on. The
# environments (infra/environments/<stage>) call this module with their
# settings; its `sam_parameters` output is what `scripts/sam-deploy` passes
# to the SAM stack.

locals {
  name_prefix = "campaign-${var.stage}-"
  # A restore to a point in time (README runbook) brings the tables back
  # under a new prefix; table_prefix points the stage at them.
  table_prefix = coalesce(var.table_prefix, "campaign-${var.stage}-")
}

module "data" {
  source = "../data"
  providers = {
    aws         = aws
    aws.replica = aws.replica
  }

  name_prefix         = local.name_prefix
  table_prefix        = local.table_prefix
  deletion_protection = var.deletion_protection
  # The console uploads contact and audio files from its own origin too.
  dashboard_origins = concat(var.dashboard_origins, [module.frontend.url])
  replica_region    = var.replica_region
}

module "frontend" {
  source = "../frontend"

  name_prefix     = local.name_prefix
  domain_name     = var.console_domain_name
  certificate_arn = var.console_certificate_arn
}

# The console bucket's server access logs go where every bucket's go. Set
# here rather than in modules/frontend: the data module takes the console's
# URL (CORS), so the frontend module must not take the data module's log
# bucket in return (a module cycle for the tools that read modules whole).
resource "aws_s3_bucket_logging" "console" {
  bucket        = module.frontend.bucket_name
  target_bucket = module.data.access_log_bucket
  target_prefix = "${module.frontend.bucket_name}/"
}

module "network" {
  source = "../network"

  name_prefix        = local.name_prefix
  cidr_block         = var.vpc_cidr
  availability_zones = var.availability_zones
  kms_key_arn        = module.data.kms_key_arn
  log_retention_days = var.log_retention_days
}

module "secrets" {
  source = "../secrets"

  name_prefix        = local.name_prefix
  kms_key_arn        = module.data.kms_key_arn
  log_retention_days = var.log_retention_days
}

module "auth" {
  source = "../auth"

  name_prefix         = local.name_prefix
  dashboard_origins   = var.dashboard_origins
  console_urls        = [module.frontend.url]
  kms_key_arn         = module.data.kms_key_arn
  deletion_protection = var.deletion_protection
  log_retention_days  = var.log_retention_days
}

module "telephony_host" {
  source = "../telephony-host"
  count  = var.telephony_host ? 1 : 0

  name_prefix             = local.name_prefix
  table_prefix            = local.table_prefix
  vpc_id                  = module.network.vpc_id
  subnet_id               = module.network.public_subnet_ids[0]
  carrier_cidrs           = var.carrier_cidrs
  instance_type           = var.telephony_instance_type
  termination_protection  = var.deletion_protection
  kms_key_arn             = module.data.kms_key_arn
  secret_arns             = [module.secrets.sip_trunk_secret_arn]
  sip_trunk_secret_arn    = module.secrets.sip_trunk_secret_arn
  audio_bucket_arn        = module.data.bucket_arns["audio"]
  tts_cache_bucket_arn    = module.data.bucket_arns["tts-cache"]
  artifacts_bucket_arn    = module.data.bucket_arns["artifacts"]
  artifacts_bucket_name   = module.data.bucket_names["artifacts"]
  telephony_bundle_key    = var.telephony_bundle_key
  telephony_bundle_sha256 = var.telephony_bundle_sha256
}

module "monitoring" {
  source = "../monitoring"

  name_prefix           = local.name_prefix
  stage                 = var.stage
  kms_key_arn           = module.data.kms_key_arn
  alarm_emails          = var.alarm_emails
  telephony_instance_id = var.telephony_host ? module.telephony_host[0].instance_id : null
}
