terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source                = "hashicorp/aws"
      version               = ">= 5.40, < 7.0"
      configuration_aliases = [aws.replica]
    }
  }
}
