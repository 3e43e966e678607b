from kameng.management.commands import rotate_keys


class Command(rotate_keys.Command):
    help = "The earlier name of rotate-keys, kept so existing runbooks work. " + (
        rotate_keys.Command.help
    )
