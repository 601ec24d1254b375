namespace Raven.Chat.Tests;

public abstract class FriendTests(StoreKind store) : ChatTestBase(store)
{
    private User _a = null!;
    private User _b = null!;
    private User _c = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        User[] users = await Chat.UsersAsync("alice", "bobby", "carol");
        (_a, _b, _c) = (users[0], users[1], users[2]);
    }

    [Fact]
    public async Task Send_request_shows_up_on_both_sides()
    {
        FriendRequest request = await Service.SendFriendRequestAsync(_a.Id, _b.Id);
        Assert.Equal((_a.Id, _b.Id, FriendRequestStatus.Pending), (request.FromUser.Id, request.ToUser.Id, request.Status));
        Assert.Equal("alice", request.FromUser.Username);

        FriendRequests forA = await Service.GetFriendRequestsAsync(_a.Id);
        Assert.Equal([request.Id], forA.Sent.Select(r => r.Id));
        Assert.Empty(forA.Received);
        FriendRequests forB = await Service.GetFriendRequestsAsync(_b.Id);
        Assert.Empty(forB.Sent);
        Assert.Equal(request, forB.Received.Single());
    }

    [Fact]
    public async Task Send_request_validation_and_conflicts()
    {
        await Expect.Fails(ChatErrorKind.Validation, () => Service.SendFriendRequestAsync(_a.Id, _a.Id));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.SendFriendRequestAsync(_a.Id, "nope"));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.SendFriendRequestAsync(_a.Id, ObjectIds.NewId()));

        await Service.SendFriendRequestAsync(_a.Id, _b.Id);
        var again = await Expect.Fails(ChatErrorKind.Conflict, () => Service.SendFriendRequestAsync(_a.Id, _b.Id));
        Assert.Contains("already", again.Message, StringComparison.Ordinal);
        var reverse = await Expect.Fails(ChatErrorKind.Conflict, () => Service.SendFriendRequestAsync(_b.Id, _a.Id));
        Assert.Contains("already", reverse.Message, StringComparison.Ordinal);
        Assert.Equal(1, Chat.Scalar("SELECT COUNT(*) FROM friend_requests"));
    }

    [Fact]
    public async Task Accept_creates_friendship_and_dm_owned_by_requester()
    {
        FriendRequest request = await Service.SendFriendRequestAsync(_a.Id, _b.Id);
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.AcceptFriendRequestAsync(_a.Id, request.Id));
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.AcceptFriendRequestAsync(_c.Id, request.Id));

        var (accepted, conversationId) = await Service.AcceptFriendRequestAsync(_b.Id, request.Id);
        Assert.Equal(FriendRequestStatus.Accepted, accepted.Status);
        ConversationDetails dm = await Service.GetConversationAsync(_b.Id, conversationId);
        Assert.Equal(ConversationType.Direct, dm.Conversation.Type);
        Assert.Equal(_a.Id, dm.Conversation.OwnerId);
        Assert.Equal(_a.Email, dm.DisplayName);
        Assert.Equal(_a.Id, dm.OtherUserId);
        // The DM made on accept is the one a later "create direct" returns.
        Assert.Equal(conversationId, (await Chat.DirectAsync(_b, _a)).Id);

        Friendship aSide = (await Service.ListFriendsAsync(_a.Id)).Single();
        Assert.Equal((_a.Id, _b.Id, _b.Id), (aSide.UserId, aSide.FriendId, aSide.Friend.Id));
        Friendship bSide = (await Service.ListFriendsAsync(_b.Id)).Single();
        Assert.Equal((_b.Id, _a.Id), (bSide.UserId, bSide.FriendId));
        Assert.Empty(await Service.ListFriendsAsync(_c.Id));

        Assert.Empty((await Service.GetFriendRequestsAsync(_a.Id)).Sent);
        Assert.Empty((await Service.GetFriendRequestsAsync(_b.Id)).Received);
        var twice = await Expect.Fails(ChatErrorKind.Conflict, () => Service.AcceptFriendRequestAsync(_b.Id, request.Id));
        Assert.Contains("already", twice.Message, StringComparison.Ordinal);
        var friends = await Expect.Fails(ChatErrorKind.Conflict, () => Service.SendFriendRequestAsync(_b.Id, _a.Id));
        Assert.Contains("already", friends.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accept_reuses_an_existing_dm()
    {
        Conversation existing = await Chat.DirectAsync(_b, _a);
        FriendRequest request = await Service.SendFriendRequestAsync(_a.Id, _b.Id);
        var (_, conversationId) = await Service.AcceptFriendRequestAsync(_b.Id, request.Id);
        Assert.Equal(existing.Id, conversationId);
        Assert.Equal(1, Chat.Scalar("SELECT COUNT(*) FROM conversations"));
    }

    [Fact]
    public async Task Decline_recipient_only_and_allows_a_new_request()
    {
        FriendRequest request = await Service.SendFriendRequestAsync(_a.Id, _b.Id);
        await Expect.Fails(ChatErrorKind.PermissionDenied, () => Service.DeclineFriendRequestAsync(_a.Id, request.Id));
        FriendRequest declined = await Service.DeclineFriendRequestAsync(_b.Id, request.Id);
        Assert.Equal(FriendRequestStatus.Declined, declined.Status);
        Assert.Empty((await Service.GetFriendRequestsAsync(_b.Id)).Received);
        Assert.Empty(await Service.ListFriendsAsync(_b.Id));
        await Expect.Fails(ChatErrorKind.Conflict, () => Service.AcceptFriendRequestAsync(_b.Id, request.Id));
        await Expect.Fails(ChatErrorKind.Conflict, () => Service.DeclineFriendRequestAsync(_b.Id, request.Id));
        Assert.Equal(0, Chat.Scalar("SELECT COUNT(*) FROM conversations"));

        FriendRequest retry = await Service.SendFriendRequestAsync(_b.Id, _a.Id);
        Assert.NotEqual(request.Id, retry.Id);
    }

    [Fact]
    public async Task Unknown_and_malformed_request_ids()
    {
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.AcceptFriendRequestAsync(_b.Id, ObjectIds.NewId()));
        await Expect.Fails(ChatErrorKind.NotFound, () => Service.DeclineFriendRequestAsync(_b.Id, ObjectIds.NewId()));
        await Expect.Fails(ChatErrorKind.Validation, () => Service.AcceptFriendRequestAsync(_b.Id, "x"));
    }

    [Fact]
    public async Task Concurrent_requests_between_a_pair_leave_one_pending()
    {
        var tasks = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            try
            {
                await (i % 2 == 0 ? Service.SendFriendRequestAsync(_a.Id, _b.Id) : Service.SendFriendRequestAsync(_b.Id, _a.Id));
                return 1;
            }
            catch (ChatException ex) when (ex.Kind == ChatErrorKind.Conflict)
            {
                return 0;
            }
        }));
        Assert.Equal(1, (await Task.WhenAll(tasks)).Sum());
        Assert.Equal(1, Chat.Scalar("SELECT COUNT(*) FROM friend_requests"));
    }
}

public sealed class SqliteFriendTests() : FriendTests(StoreKind.Sqlite);

public sealed class PostgresFriendTests() : FriendTests(StoreKind.Postgres);
