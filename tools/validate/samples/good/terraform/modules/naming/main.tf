# A module: its inputs and what it gives back (tf-schema.sh checks calls against both).
variable "environment" {
  description = "The environment's name"
  type        = string
}

variable "app" {
  description = "The application's name"
  type        = string
  default     = "shop"
}

output "prefix" {
  description = "The prefix of every resource name"
  value       = "${var.app}-${var.environment}"
}
