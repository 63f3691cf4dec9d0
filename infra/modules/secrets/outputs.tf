output "ari_credentials_secret_arn" {
  value = aws_secretsmanager_secret.asterisk_ari.arn
}

output "sms_provider_secret_arn" {
  value = aws_secretsmanager_secret.sms_provider.arn
}

output "call_manager_token_secret_arn" {
  value = aws_secretsmanager_secret.call_manager_token.arn
}
