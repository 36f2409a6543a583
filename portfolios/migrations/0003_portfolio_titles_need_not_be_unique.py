# Titles need not be unique on /api/ (API.md): two clients may choose the same one at once.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('portfolios', '0002_initial'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='portfolio',
            name='portfolio_title_unique_per_user',
        ),
    ]
