"""tapgen: generate production-grade Terraform for a HIPAA-minded AWS platform from a YAML spec."""

__version__ = "0.2.0"
