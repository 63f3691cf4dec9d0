output "sip_trunk_secret_arn" {
  value = aws_secretsmanager_secret.sip_trunk.arn
}

output "sms_provider_secret_arn" {
  value = aws_secretsmanager_secret.sms_provider.arn
}

output "call_manager_token_secret_arn" {
  value = aws_secretsmanager_secret.call_manager_token.arn
}
