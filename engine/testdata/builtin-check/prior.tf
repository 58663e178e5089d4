resource "terraform_data" "src" {
  input = "1"
}
