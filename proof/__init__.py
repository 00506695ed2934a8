"""The access proof: every AWS request the template's code makes, evaluated by a real IAM engine
(@cloud-copilot/iam-simulate) against the policies Terraform renders. `python -m proof`."""
