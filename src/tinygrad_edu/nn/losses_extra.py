"""The loss modules of issue 18's extra losses, exported by tg.nn."""
__all__: list[str] = []
