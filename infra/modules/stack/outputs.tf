output "name_prefix" {
  value = local.name_prefix
}

output "table_prefix" {
  value = local.table_prefix
}

output "telephony_public_ip" {
  description = "Give this address to the SIP carrier for allow-listing"
  value       = var.telephony_host ? module.telephony_host[0].public_ip : null
}

output "alarm_topic_arn" {
  value = module.monitoring.alarm_topic_arn
}

output "artifacts_bucket" {
  value = module.data.bucket_names["artifacts"]
}

output "cognito_hosted_ui_domain" {
  value = module.auth.hosted_ui_domain
}

output "sip_trunk_secret_arn" {
  value = module.secrets.sip_trunk_secret_arn
}

# What scripts/deploy-console needs besides the SAM stack's ApiUrl.
output "console" {
  value = {
    url             = module.frontend.url
    bucket          = module.frontend.bucket_name
    distribution_id = module.frontend.distribution_id
    cognito_domain  = module.auth.hosted_ui_url
    client_id       = module.auth.dashboard_client_id
  }
}

# The SAM stack's parameters (template.yaml) that come from here.
output "sam_parameters" {
  value = {
    Stage                     = var.stage
    NamePrefix                = local.name_prefix
    TablePrefix               = local.table_prefix
    KmsKeyArn                 = module.data.kms_key_arn
    AudioBucketName           = module.data.bucket_names["audio"]
    ReportsBucketName         = module.data.bucket_names["reports"]
    UploadsBucketName         = module.data.bucket_names["uploads"]
    ContactImportQueueArn     = module.data.contact_import_queue_arn
    TtsCacheBucketName        = module.data.bucket_names["tts-cache"]
    CallManagerTokenSecretArn = module.secrets.call_manager_token_secret_arn
    SmsProviderSecretArn      = module.secrets.sms_provider_secret_arn
    CognitoUserPoolId         = module.auth.user_pool_id
    CognitoUserPoolClientId   = module.auth.dashboard_client_id
    ConsoleUrl                = module.frontend.url
    TelephonyInstanceId       = var.telephony_host ? module.telephony_host[0].instance_id : ""
  }
}
