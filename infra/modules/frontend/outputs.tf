output "url" {
  description = "The console's URL (https://, no trailing slash)"
  value       = "https://${local.custom_name ? var.domain_name : aws_cloudfront_distribution.console.domain_name}"
}

output "bucket_name" {
  description = "Where scripts/deploy-console uploads the build"
  value       = aws_s3_bucket.console.id
}

output "distribution_id" {
  description = "The distribution scripts/deploy-console invalidates"
  value       = aws_cloudfront_distribution.console.id
}
