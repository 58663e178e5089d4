resource "terraform_data" "a" {
  input = "2"
}

resource "terraform_data" "b" {
  input            = { name = "b", size = 2 }
  triggers_replace = terraform_data.a.output
}

resource "terraform_data" "c" {
  input = [terraform_data.b.id]
}

output "b_input" {
  value = terraform_data.b.output
}
