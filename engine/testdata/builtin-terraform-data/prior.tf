resource "terraform_data" "a" {
  input = "1"
}

resource "terraform_data" "b" {
  input            = { name = "b", size = 2 }
  triggers_replace = terraform_data.a.output
}
