using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Raven.SocketIO;
using Raven.Testing;

namespace Raven.Server.Tests.Realtime;

/// <summary>
/// A server whose sockets may be in 4 rooms: their own id, their user and session rooms, and one conversation.
/// </summary>
public sealed class RoomCapFixture : RealtimeFixture
{
    protected override Action<WebApplicationBuilder>? Configure { get; } =
        builder => builder.Services.PostConfigure<SocketIOOptions>(o => o.MaxRoomsPerSocket = 4);
}

/// <summary>A join that the rooms-per-socket cap refuses is answered JOIN_FAILED, not acknowledged as joined.</summary>
public sealed class RoomCapTests(RoomCapFixture fixture) : OwnServerTests<RoomCapFixture>(fixture)
{
    [Fact]
    public async Task A_join_past_the_rooms_per_socket_cap_fails_and_its_messages_do_not_arrive()
    {
        var owner = await UserAsync();
        var member = await UserAsync();
        var first = await GroupAsync(owner, member);
        var second = await GroupAsync(owner, member);
        var ownerSocket = await ConnectAsync(owner);
        var memberSocket = await ConnectAsync(member);
        await JoinAsync(memberSocket, first);

        var refused = (await memberSocket.EmitWithAckAsync("join_conversation", NodeDriver.DefaultTimeout, new { conversation_id = second })).Single();
        Assert.False(refused.GetProperty("ok").GetBoolean(), refused.ToString());
        Assert.Equal("JOIN_FAILED", Id(refused.GetProperty("error"), "code"));

        await JoinAsync(ownerSocket, second);
        await SendAsync(ownerSocket, second, "to the second conversation");
        await SyncAsync(memberSocket);
        Assert.DoesNotContain(memberSocket.EventsNamed("joined_conversation"), e => Id(e.Arg(0), "conversation_id") == second);
        Assert.DoesNotContain(memberSocket.EventsNamed("new_message"), e => e.Arg(0).GetProperty("text").GetString() == "to the second conversation");
    }
}
