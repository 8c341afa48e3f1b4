"""The steps of ``accord demo provider``, one module per part of seed 003's lifecycle."""

"""The steps of ``accord demo provider``, one module per part of seed 003."""
"""Steps of ``accord demo provider``, one module per part of seed 003's lifecycle."""
"""The steps of `accord demo provider`, one module per part of seed 003's lifecycle."""
"""The steps of ``accord demo provider``, one module per part of the lifecycle."""
"""The steps of `accord demo provider`, one module per part of the lifecycle after sharing."""
"""The provider demo's steps after the referral: one module per part of the lifecycle."""
"""The steps of `accord demo provider` after the referral agreement: one module each."""
