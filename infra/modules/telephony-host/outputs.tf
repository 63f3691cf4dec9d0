output "instance_id" {
  value = aws_instance.host.id
}

output "public_ip" {
  description = "The Elastic IP to give the SIP carrier for allow-listing"
  value       = aws_eip.host.public_ip
}

output "role_arn" {
  value = aws_iam_role.host.arn
}
