resource "terraform_data" "g" {
  for_each = toset(["east", "west"])
  input    = each.key
}

resource "terraform_data" "child" {
  for_each = terraform_data.g
  input    = "${each.key}:${each.value.id}"
}

output "children" {
  value = { for k, c in terraform_data.child : k => c.output }
}
