# A rename, a chain (a → b → renamed), an instance that changes keys, a
# resource into a module, and one let go of without being destroyed.
resource "terraform_data" "renamed" {
  input = "a"
}

moved {
  from = terraform_data.a
  to   = terraform_data.b
}

moved {
  from = terraform_data.b
  to   = terraform_data.renamed
}

resource "terraform_data" "c" {
  for_each = toset(["k"])
  input    = "c"
}

moved {
  from = terraform_data.c[0]
  to   = terraform_data.c["k"]
}

module "m" {
  source = "./modules/m"
}

moved {
  from = terraform_data.tomod
  to   = module.m.terraform_data.x
}

removed {
  from = terraform_data.gone

  lifecycle {
    destroy = false
  }
}
