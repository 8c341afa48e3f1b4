"""The provider demo's steps after the referral: one module per part of the lifecycle."""
