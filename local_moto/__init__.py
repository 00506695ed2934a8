"""A moto server as a child process on a free port of 127.0.0.1 (`local_moto.server`): the stand-in
AWS that the access proof applies Terraform to and that the integration tests deploy against."""
