"""Create the role groups (SPEC §1) and give them their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; create those of
    # the apps migrated so far now, so the groups get them at once. Models added
    # later are synced by the post_migrate hook in accounts.apps.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps)


def remove_role_groups(apps, schema_editor):
    from accounts.roles import Role

    apps.get_model("auth", "Group").objects.filter(name__in=Role.values).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
