"""The steps of `accord demo provider` after the referral agreement: one module each."""
