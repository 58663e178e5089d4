# Providers this module needs.   
   terraform {   
required_version=  ">= 1.5"
required_providers {   
aigw=  {
   source  = "aigw/aigw"
   version = "~> 0.1"   
}
}
}

provider "aigw" {
base_url="${var.base_url}"
   api_token  = var.api_token # from the environment
}
      
variable "teams" {
description="The teams that get a gateway."   
type   =   list(string)
default=  [
"infra",
   "ranking",
]

validation {
condition=length(var.teams) > 0 && alltrue([for t in var.teams : can(regex("^[a-z-]+$",t))])
   error_message = "Each team name is lower case letters and dashes."
}
}

variable "cache_ttl" {   
   type    = number
   default = 60

   validation {
   condition     = var.cache_ttl >= 60 && var.cache_ttl <= 86400
   error_message = "The cache TTL is between a minute and a day."
   }
   }   

   variable "limits" {
   description = "Requests per window, per team."
type=  map(object({
limit=  number
window   =   optional(number,60)
technique=optional(string, "sliding")
}))
default   =   {
infra   =   { limit = 10,window = 60 }
   ranking = { limit = 349, window = 3600 }
}
   }

variable "api_token" {   
   type      = string
   sensitive = true
default=null
   }

variable "base_url" {
type =string
   default = "http://127.0.0.1:8787"
}

variable "tags" {
type=map(string)
default ={
   owner = "platform"
env   =   "prod"
"cost-center"   =   "ai-1234"
   }
}   
   
locals {
   # Every gateway,keyed by team.
   gateways = { for t in var.teams : t => {
id=  "gw-${t}"
   ttl   = var.cache_ttl
logs=true
model   =   "llama-3.1-8b"
} }
prefix ="aigw"
env =terraform.workspace == "default" ? "prod" : terraform.workspace
names=[for k,v in local.gateways : "${local.prefix}-${k}"]
steps   =   [
{ provider = "mistral", model = "gemini-1.5-flash", retries = 1 },
{ provider = "openai",model = "gemini-1.5-flash",retries = 0 },
{ provider = "workers-ai",model = "claude-3-5-haiku",retries = 2 },
]
by_provider   =   { for s in local.steps : s.provider => s.model... }
n   =   -1
sum =1 + 2 * 3 - -4
ok   =   !false && (1 < 2 || 3 >= 4)
first   =   try(local.steps[0].provider, null)
split =split(",", "a,b,c")
}
   
/* One gateway per team.
   Names are stable: renaming a team replaces its gateway. */
resource "aigw_gateway" "team" {
   for_each = local.gateways   

   account_id = var.account_id
id=  each.value.id
cache_ttl=each.value.ttl
   collect_logs = each.value.logs
rate_limiting_interval   =   60
rate_limiting_limit =lookup(var.limits,each.key,{ limit = 100 }).limit

lifecycle {
prevent_destroy   =   true
ignore_changes   =   [
cache_ttl,
]
}
}

resource "aigw_fallback" "chat" {
for_each   =   aigw_gateway.team
   account_id = var.account_id
   gateway_id = each.value.id
name   =   "chat"
steps ="${local.steps}"
   depends_on = [aigw_gateway.team]
}

   module "extra" {
source=  "./modules/extra"
teams="${var.teams}"   
   providers = {
aigw =aigw.west
}
   }
   
output "gateway_ids" {
description   =   "Gateway IDs by team."
   value = { for k,g in aigw_gateway.team : k => g.id }
   }   
   
output "first_gateway" {   
value =aigw_gateway.team[var.teams[0]].id
}
   
output "token" {
   value     = var.api_token   
sensitive   =   true
   }
   
output "urls" {
value   =   [
   for k in keys(aigw_gateway.team) :
"${var.base_url}/v1/${var.account_id}/${k}/openai"
]
   }
