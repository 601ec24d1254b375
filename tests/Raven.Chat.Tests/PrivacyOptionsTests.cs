namespace Raven.Chat.Tests;

/// <summary>The stricter privacy choices of issue 6 #10, each off by default.</summary>
public class PrivacyOptionsTests
{
    private static async Task BefriendAsync(TestChat chat, User a, User b)
    {
        FriendRequest request = await chat.Service.SendFriendRequestAsync(a.Id, b.Id);
        await chat.Service.AcceptFriendRequestAsync(b.Id, request.Id);
    }

    [Fact]
    public async Task Defaults_allow_anyone_and_search_emails()
    {
        Assert.False(new ChatOptions().DirectMessagesFriendsOnly);
        Assert.False(new ChatOptions().GroupInvitesFriendsOnly);
        Assert.False(new ChatOptions().SearchUsernamePrefixOnly);
        await using TestChat chat = await TestChat.CreateAsync();
        User[] u = await chat.UsersAsync("anna", "bert", "cleo");
        await chat.Service.CreateConversationAsync(u[0].Id, ConversationType.Direct, null, [u[1].Id]);
        await chat.Service.CreateConversationAsync(u[0].Id, ConversationType.Group, "g", [u[1].Id, u[2].Id]);
        Assert.Single(await chat.Service.SearchUsersAsync("cleo@exa", 10));
    }

    [Fact]
    public async Task Direct_messages_between_friends_only()
    {
        await using TestChat chat = await TestChat.CreateAsync(o => o.DirectMessagesFriendsOnly = true);
        User[] u = await chat.UsersAsync("anna", "bert");
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => chat.Service.CreateConversationAsync(u[0].Id, ConversationType.Direct, null, [u[1].Id]));
        Assert.Equal(0, chat.Scalar("SELECT COUNT(*) FROM conversations"));
        await BefriendAsync(chat, u[0], u[1]);
        Assert.Equal(ConversationType.Direct, (await chat.Service.CreateConversationAsync(u[0].Id, ConversationType.Direct, null, [u[1].Id])).Type);
    }

    [Fact]
    public async Task Group_invitations_to_friends_only()
    {
        await using TestChat chat = await TestChat.CreateAsync(o => o.GroupInvitesFriendsOnly = true);
        User[] u = await chat.UsersAsync("anna", "bert", "cleo");
        await BefriendAsync(chat, u[0], u[1]);
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => chat.Service.CreateConversationAsync(u[0].Id, ConversationType.Group, "g", [u[1].Id, u[2].Id]));
        Conversation g = await chat.Service.CreateConversationAsync(u[0].Id, ConversationType.Group, "g", [u[1].Id]);
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => chat.Service.AddMemberAsync(u[0].Id, g.Id, u[2].Id));
        Assert.Equal(2, (await chat.Service.GetParticipantIdsAsync(g.Id)).Count);
    }

    [Fact]
    public async Task Username_prefix_search_never_matches_emails()
    {
        await using TestChat chat = await TestChat.CreateAsync(o => o.SearchUsernamePrefixOnly = true);
        await chat.UsersAsync("anna", "hannah");
        Assert.Empty(await chat.Service.SearchUsersAsync("example.com", 10));
        Assert.Empty(await chat.Service.SearchUsersAsync("nna", 10));
        Assert.Equal("anna", Assert.Single(await chat.Service.SearchUsersAsync("AN", 10)).Username);
        Assert.Empty(await chat.Service.SearchUsersAsync("%", 10));
    }
}
