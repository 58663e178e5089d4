resource "terraform_data" "src" {
  input = "2"
}

resource "terraform_data" "whole" {
  input = "w"
  lifecycle {
    replace_triggered_by = [terraform_data.src]
  }
}

resource "terraform_data" "attr" {
  input = "a"
  lifecycle {
    replace_triggered_by = [terraform_data.src.output]
  }
}

resource "terraform_data" "id_only" {
  input = "i"
  lifecycle {
    replace_triggered_by = [terraform_data.src.id]
  }
}
