"""The steps of `accord demo provider`, one module per part of the lifecycle after sharing."""
