module "naming" {
  source = "./modules/naming"

  enviroment = "dev" # misspelled input; the required `environment` is then missing
}

module "gone" {
  source = "./modules/gone" # no such folder
}

output "prefix" {
  value = module.naming.prefx # no such output
}
