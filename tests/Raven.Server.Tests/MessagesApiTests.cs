using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Raven.Chat;
using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests;

/// <summary>Records what REST asks the realtime layer to broadcast (the seam the Socket.IO handlers implement).</summary>
public sealed class RecordingNotifier : IChatNotifier
{
    public ConcurrentQueue<Message> Created { get; } = new();
    public ConcurrentQueue<Message> Deleted { get; } = new();

    public Task MessageCreated(Message message)
    {
        Created.Enqueue(message);
        return Task.CompletedTask;
    }

    public Task MessageDeleted(Message message)
    {
        Deleted.Enqueue(message);
        return Task.CompletedTask;
    }
}

public sealed class MessagesFixture : IAsyncLifetime
{
    public RecordingNotifier Notifier { get; } = new();

    public RavenTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await RavenTestServer.StartAsync(configure: b => b.Services.AddSingleton<IChatNotifier>(Notifier));

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class MessagesApiTests(MessagesFixture fixture) : IClassFixture<MessagesFixture>
{
    private RavenTestServer Server => fixture.Server;

    private async Task<(TestUser A, TestUser B, string ConversationId)> PairAsync()
    {
        var a = await Server.NewUserAsync();
        var b = await Server.NewUserAsync();
        var id = (await a.Client.PostAsync("/api/v1/conversations", new { name = "Pair", type = "group", userIds = new[] { b.Id } }))
            .Data.GetProperty("id").GetString()!;
        return (a, b, id);
    }

    [Fact]
    public async Task Send_returns_201_message_dto_and_notifies_the_realtime_layer()
    {
        var (a, _, id) = await PairAsync();
        var sent = await a.Client.PostAsync($"/api/v1/messages/conversation/{id}", new { text = "hello", url = (string?)null, fileName = (string?)null });

        Assert.Equal(HttpStatusCode.Created, sent.Status);
        var m = sent.Data;
        Assert.Equal(24, m.GetProperty("id").GetString()!.Length);
        Assert.Equal(id, m.GetProperty("conversationId").GetString());
        Assert.Equal(a.Id, m.GetProperty("senderId").GetString());
        Assert.Equal(a.Username, m.GetProperty("senderName").GetString());
        Assert.Equal("", m.GetProperty("senderAvatar").GetString());
        Assert.Equal("hello", m.GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Null, m.GetProperty("url").ValueKind);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", m.GetProperty("createdAt").GetString());
        Assert.True(m.TryGetProperty("updatedAt", out _));
        Assert.Contains(fixture.Notifier.Created, x => x.Id == m.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Send_validates_the_body()
    {
        var (a, _, id) = await PairAsync();
        (await a.Client.PostAsync($"/api/v1/messages/conversation/{id}", new { })).AssertError(HttpStatusCode.BadRequest);
        (await a.Client.PostAsync($"/api/v1/messages/conversation/{id}", new { text = new string('x', 5001) })).AssertError(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task History_is_newest_first_and_pages_with_before_and_after()
    {
        var (a, b, id) = await PairAsync();
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var sender = i % 2 == 0 ? a : b;
            ids.Add((await sender.Client.PostAsync($"/api/v1/messages/conversation/{id}", new { text = $"t{i}" })).Data.GetProperty("id").GetString()!);
        }

        var page1 = await b.Client.GetAsync($"/api/v1/messages/conversation/{id}?limit=3");
        Assert.Equal(HttpStatusCode.OK, page1.Status);
        Assert.Equal(new[] { "t6", "t5", "t4" }, Texts(page1));
        Assert.True(page1.Body.GetProperty("pagination").GetProperty("hasMore").GetBoolean());
        Assert.Equal(3, page1.Body.GetProperty("pagination").GetProperty("limit").GetInt32());

        var oldest = page1.Data.EnumerateArray().Last().GetProperty("id").GetString();
        var page2 = await b.Client.GetAsync($"/api/v1/messages/conversation/{id}?limit=3&before={oldest}");
        Assert.Equal(new[] { "t3", "t2", "t1" }, Texts(page2));
        var page3 = await b.Client.GetAsync($"/api/v1/messages/conversation/{id}?limit=3&before={page2.Data.EnumerateArray().Last().GetProperty("id").GetString()}");
        Assert.Equal(new[] { "t0" }, Texts(page3));
        Assert.False(page3.Body.GetProperty("pagination").GetProperty("hasMore").GetBoolean());

        var after = await b.Client.GetAsync($"/api/v1/messages/conversation/{id}?limit=2&after={ids[1]}");
        Assert.Equal(new[] { "t3", "t2" }, Texts(after));

        (await b.Client.GetAsync($"/api/v1/messages/conversation/{id}?before={ids[0]}&after={ids[1]}")).AssertError(HttpStatusCode.BadRequest);
        (await b.Client.GetAsync($"/api/v1/messages/conversation/{id}?limit=0")).AssertError(HttpStatusCode.BadRequest);
        (await b.Client.GetAsync($"/api/v1/messages/conversation/{id}?limit=abc")).AssertError(HttpStatusCode.BadRequest);
        (await b.Client.GetAsync($"/api/v1/messages/conversation/{id}?before=short")).AssertError(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Get_and_delete_a_message_sender_only_with_notification()
    {
        var (a, b, id) = await PairAsync();
        var messageId = (await a.Client.PostAsync($"/api/v1/messages/conversation/{id}", new { text = "bye" })).Data.GetProperty("id").GetString();

        var fetched = await b.Client.GetAsync($"/api/v1/messages/{messageId}");
        Assert.Equal("bye", fetched.Data.GetProperty("text").GetString());

        (await b.Client.DeleteAsync($"/api/v1/messages/{messageId}")).AssertError(HttpStatusCode.Forbidden);
        var deleted = await a.Client.DeleteAsync($"/api/v1/messages/{messageId}");
        Assert.Equal(HttpStatusCode.OK, deleted.Status);
        Assert.Contains(fixture.Notifier.Deleted, x => x.Id == messageId);
        (await a.Client.GetAsync($"/api/v1/messages/{messageId}")).AssertError(HttpStatusCode.NotFound);
        Assert.DoesNotContain("bye", Texts(await a.Client.GetAsync($"/api/v1/messages/conversation/{id}")));
        (await a.Client.GetAsync("/api/v1/messages/0123456789abcdef01234567")).AssertError(HttpStatusCode.NotFound);
        (await a.Client.GetAsync("/api/v1/messages/xyz")).AssertError(HttpStatusCode.BadRequest);
    }

    public static TheoryData<string, string, string> OutsiderCalls => new()
    {
        { "GET", "/api/v1/messages/conversation/{c}", "" },
        { "GET", "/api/v1/messages/conversation/{c}?limit=5&before={m}", "" },
        { "POST", "/api/v1/messages/conversation/{c}", "{\"text\":\"intrusion\"}" },
        { "GET", "/api/v1/conversations/{c}", "" },
        { "GET", "/api/v1/messages/{m}", "" },
        { "DELETE", "/api/v1/messages/{m}", "" },
        { "POST", "/api/v1/conversations/{c}/read", "{}" },
        { "PUT", "/api/v1/conversations/{c}", "{\"name\":\"pwned\"}" },
        { "DELETE", "/api/v1/conversations/{c}", "" },
        { "POST", "/api/v1/conversations/{c}/user", "{\"userId\":\"{me}\"}" },
        { "PUT", "/api/v1/conversations/{c}/user", "{}" },
    };

    [Theory]
    [MemberData(nameof(OutsiderCalls))]
    public async Task A_non_participant_is_refused_everything_about_a_conversation(string method, string path, string body)
    {
        var (a, _, id) = await PairAsync();
        var outsider = await Server.NewUserAsync("outsider");
        var messageId = (await a.Client.PostAsync($"/api/v1/messages/conversation/{id}", new { text = "secret" })).Data.GetProperty("id").GetString()!;

        var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{c}", id).Replace("{m}", messageId));
        if (body.Length > 0)
        {
            request.Content = new StringContent(body.Replace("{me}", outsider.Id), System.Text.Encoding.UTF8, "application/json");
        }

        var response = await outsider.Client.SendAsync(request);
        Assert.True(response.Status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{method} {path}: {(int)response.Status} {response.Body}");
        Assert.False(response.Body.GetProperty("success").GetBoolean());
        Assert.DoesNotContain("secret", response.Body.ToString());

        // Nothing changed for the participants.
        var history = await a.Client.GetAsync($"/api/v1/messages/conversation/{id}");
        Assert.Equal(new[] { "secret" }, Texts(history));
        var details = await a.Client.GetAsync($"/api/v1/conversations/{id}");
        Assert.Equal("Pair", details.Data.GetProperty("name").GetString());
        Assert.Equal(2, details.Data.GetProperty("members").GetArrayLength());
    }

    [Fact]
    public async Task Anonymous_callers_get_401_on_every_message_endpoint()
    {
        var (a, _, id) = await PairAsync();
        using var anonymous = Server.NewClient();
        (await anonymous.GetAsync($"/api/v1/messages/conversation/{id}")).AssertError(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync($"/api/v1/messages/conversation/{id}", new { text = "x" })).AssertError(HttpStatusCode.Unauthorized);
        (await anonymous.GetAsync("/api/v1/conversations")).AssertError(HttpStatusCode.Unauthorized);
        (await anonymous.GetAsync("/api/v1/friends")).AssertError(HttpStatusCode.Unauthorized);
        _ = a;
    }

    private static string[] Texts(ApiResponse page) =>
        page.Data.EnumerateArray().Select(m => m.GetProperty("text").GetString()!).ToArray();
}
