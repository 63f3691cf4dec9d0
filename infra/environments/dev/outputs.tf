output "sam_parameters" {
  description = "Parameters of the SAM stack (scripts/sam-deploy reads them)"
  value       = module.stack.sam_parameters
}

output "name_prefix" {
  value = module.stack.name_prefix
}

output "table_prefix" {
  value = module.stack.table_prefix
}

output "telephony_public_ip" {
  value = module.stack.telephony_public_ip
}

output "artifacts_bucket" {
  value = module.stack.artifacts_bucket
}

output "alarm_topic_arn" {
  value = module.stack.alarm_topic_arn
}

output "cognito_hosted_ui_domain" {
  value = module.stack.cognito_hosted_ui_domain
}

output "sip_trunk_secret_arn" {
  value = module.stack.sip_trunk_secret_arn
}

output "console" {
  description = "The operator console: URL, bucket, distribution, sign-in (scripts/deploy-console reads it)"
  value       = module.stack.console
}
