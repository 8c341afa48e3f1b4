"""The steps of ``accord demo provider``, one module per part of seed 003's lifecycle."""
"""The steps of ``accord demo provider``, one module per part of seed 003."""
"""Steps of ``accord demo provider``, one module per part of seed 003's lifecycle."""
"""The steps of `accord demo provider`, one module per part of seed 003's lifecycle."""
