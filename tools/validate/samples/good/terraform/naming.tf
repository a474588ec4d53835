module "naming" {
  source = "./modules/naming"

  environment = var.environment
}

output "prefix" {
  description = "The prefix of every resource name"
  value       = module.naming.prefix
}
