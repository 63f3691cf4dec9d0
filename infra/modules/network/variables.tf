variable "name_prefix" {
  description = "Prefix of every resource name, e.g. campaign-prod-"
  type        = string
}

variable "cidr_block" {
  description = "The VPC's address range"
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Zones of the public subnets, one subnet each (the host uses the first; a second host or a move after a zone failure uses the others)"
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 1
    error_message = "Name at least one zone."
  }
}

variable "kms_key_arn" {
  description = "Key encrypting the flow-log group"
  type        = string
}

variable "log_retention_days" {
  type    = number
  default = 90
}
