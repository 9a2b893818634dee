import asyncio
from bot.replies import Reply, ReplyItem
from adapters.discord.tests.fake_discord import StubCore, running_bot, InteractionFactory, GUILD_A

async def test_smoke(tmp_path):
    core = StubCore({"company ford": Reply(title="Ford", items=(ReplyItem(title="Ford news @everyone"),))})
    async with running_bot(core, tmp_path, guild_id=GUILD_A) as (fake, adapter):
        f = InteractionFactory()
        data = f.command("policywatch", "company", {"name": "ford"}, command_guild=GUILD_A)
        await fake.inject("INTERACTION_CREATE", data)
        rec = await fake.wait_for(lambda r: r.path.startswith("/api/v10/webhooks/"))
        print(rec)
        import json; print(json.dumps([r.body for r in fake.requests if r.method=="PUT"], indent=1))
