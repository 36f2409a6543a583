from django import forms
from django.contrib.auth.forms import UserCreationForm

from users.models import User


class SignUpForm(UserCreationForm):
    name = forms.CharField(max_length=150, required=False, help_text="How we greet you.")

    class Meta:
        model = User
        fields = ["email", "name"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists. Sign in instead."
            )
        return email
