from django import forms

from core.validators import validate_web_url


class WebURLField(forms.URLField):
    """A form's URL that will be shown or linked to: http(s) only
    (core.validators.validate_web_url). A bare host (`example.org`) still gets https://
    in front, as Django's URLField does."""

    default_validators = [validate_web_url]
