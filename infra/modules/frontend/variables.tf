variable "name_prefix" {
  description = "Prefix of every resource name, e.g. campaign-prod-"
  type        = string
}

variable "price_class" {
  description = "CloudFront price class (PriceClass_100: North America and Europe edges, the cheapest)"
  type        = string
  default     = "PriceClass_100"
}

variable "domain_name" {
  description = "A custom name for the console (null: CloudFront's own *.cloudfront.net name)"
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ACM certificate (us-east-1) for domain_name; required with it"
  type        = string
  default     = null
}

variable "web_acl_arn" {
  description = "A WAF web ACL (CLOUDFRONT scope) in front of the console (null: none)"
  type        = string
  default     = null
}

variable "api_origin" {
  description = "The API's origin (https://...execute-api...), allowed in the console's Content-Security-Policy connect-src"
  type        = string
  default     = "https://*.execute-api.*.amazonaws.com"
}

variable "cognito_origin" {
  description = "The Cognito hosted UI's origin the console signs in through (connect-src for the token exchange)"
  type        = string
  default     = "https://*.amazoncognito.com"
}
