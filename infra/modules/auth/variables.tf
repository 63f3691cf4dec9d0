variable "name_prefix" {
  type = string
}

variable "dashboard_origins" {
  description = "Dashboard origins (https://...), for the sign-in callback and logout URLs"
  type        = list(string)
}

variable "console_urls" {
  description = "The operator console's URLs (https://..., no trailing slash): sign-in returns to <url>/callback, sign-out to <url>/"
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  type = string
}

variable "deletion_protection" {
  type    = bool
  default = true
}

variable "advanced_security_mode" {
  description = "Cognito threat protection: OFF, AUDIT or ENFORCED (billed per active user)"
  type        = string
  default     = "AUDIT"
}

variable "log_retention_days" {
  type    = number
  default = 90
}
