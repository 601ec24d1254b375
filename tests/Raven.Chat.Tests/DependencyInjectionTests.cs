using Microsoft.Extensions.DependencyInjection;

namespace Raven.Chat.Tests;

public class DependencyInjectionTests
{
    [Fact]
    public async Task AddRavenChat_wires_one_database_for_service_and_sessions()
    {
        string directory = TestChat.NewDirectory();
        try
        {
            var services = new ServiceCollection();
            services.AddRavenChat(o =>
            {
                o.DataDirectory = directory;
                o.PasswordHashIterations = 1000;
                o.MaxMessageLength = 7;
            });
            await using (ServiceProvider provider = services.BuildServiceProvider(validateScopes: true))
            {
                await provider.GetRequiredService<ChatDatabase>().InitializeAsync();
                IChatService chat = provider.GetRequiredService<IChatService>();
                Assert.Same(chat, provider.GetRequiredService<IChatService>());
                Assert.Same(chat, provider.GetRequiredService<ChatService>());

                User a = await chat.RegisterAsync("alice", "alice@example.com", "secret1");
                User b = await chat.RegisterAsync("bobby", "bobby@example.com", "secret1");
                Conversation dm = await chat.CreateConversationAsync(a.Id, ConversationType.Direct, null, [b.Id]);
                await Assert.ThrowsAsync<ChatException>(() => chat.SendMessageAsync(a.Id, dm.Id, new NewMessage("12345678", null, null)));

                IRefreshSessionStore sessions = provider.GetRequiredService<IRefreshSessionStore>();
                var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                await sessions.CreateAsync(new RefreshSession(ObjectIds.NewId(), a.Id, "f", "h", now, now.AddDays(1), null, null));
                Assert.NotNull(await sessions.FindByTokenHashAsync("h"));
            }

            Assert.True(File.Exists(Path.Combine(directory, "raven.db")));
        }
        finally
        {
            TestChat.DeleteDirectory(directory);
        }
    }

    [Fact]
    public void Synchronous_container_dispose_works()
    {
        string directory = TestChat.NewDirectory();
        try
        {
            var services = new ServiceCollection().AddRavenChat(o => o.DataDirectory = directory);
            using (ServiceProvider provider = services.BuildServiceProvider())
            {
                Assert.NotNull(provider.GetRequiredService<IChatService>());
            }
        }
        finally
        {
            TestChat.DeleteDirectory(directory);
        }
    }
}
