from kameng.errors import Conflict, InvalidInput


class ImportConflict(Conflict):
    code = "import_conflict"
    title = "另一批导入同时写入了相同卡密，请重新导入"


class NoNewCards(InvalidInput):
    """A card file with nothing to store (empty, or every line a duplicate or invalid):
    no batch is created; the details list the lines as an import report would."""

    code = "no_new_cards"
    title = "文件里没有可导入的新卡密"
