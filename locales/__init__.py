"""The gettext catalogs (``<locale>/LC_MESSAGES/redebot.po``), shipped as package data."""
