resource "terraform_data" "a" {
  input = "a"
}

resource "terraform_data" "c" {
  count = 1
  input = "c"
}

resource "terraform_data" "tomod" {
  input = "m"
}

resource "terraform_data" "gone" {
  input = "g"
}
