# Named values the corpus expressions read (tests/lang/corpus.txt).
locals {
  m      = { a = 1, b = 2, c = 3 }
  sm     = tomap({ x = "1", y = "2" })
  l      = ["a", "b", "c"]
  nums   = [3, 1, 2]
  nested = { team = { name = "search", tags = ["x", "y"] }, empty = {} }
  objs   = [{ name = "a", n = 1 }, { name = "b", n = 2 }]
  s      = "Hello, World"
  n      = null
  set    = toset(["b", "a"])
  big    = 12345678901234567890
  third  = 1 / 3
  doc    = <<-EOT
    line one
      indented
    line three
  EOT
}

variable "vs" {
  type    = list(string)
  default = ["x", "y"]
}

variable "vm" {
  type    = map(number)
  default = { one = 1, two = 2 }
}

variable "vo" {
  type    = object({ a = string, b = list(number) })
  default = { a = "A", b = [1, 2] }
}

variable "vset" {
  type    = set(string)
  default = ["b", "a", "b"]
}

variable "vsecret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}

variable "vnull" {
  type    = string
  default = null
}

variable "vopt" {
  type = object({
    name  = string
    ttl   = optional(number, 60)
    tags  = optional(list(string), [])
    inner = optional(object({ on = optional(bool, true) }), {})
  })
  default = { name = "a" }
}

variable "vopts" {
  type = map(object({
    limit  = number
    window = optional(number, 60)
  }))
  default = { a = { limit = 1 }, b = { limit = 2, window = 10 } }
}
