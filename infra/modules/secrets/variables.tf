variable "name_prefix" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

variable "rotation_days" {
  description = "Days between automatic rotations (000_*: 90)"
  type        = number
  default     = 90
}

variable "log_retention_days" {
  type    = number
  default = 90
}
