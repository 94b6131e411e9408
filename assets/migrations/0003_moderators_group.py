"""Creates the Moderators group, holding the permission to approve and reject assets."""

from django.db import migrations


def create_group(apps, schema_editor):
    # Permissions are normally made after all migrations have run; make the two needed now.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    asset_type, _ = ContentType.objects.get_or_create(app_label="assets", model="asset")
    wanted = {"moderate_asset": "Can approve or reject assets", "view_asset": "Can view asset"}
    group, _ = Group.objects.get_or_create(name="Moderators")
    for codename, name in wanted.items():
        permission, _ = Permission.objects.get_or_create(
            content_type=asset_type, codename=codename, defaults={"name": name}
        )
        group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Moderators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
