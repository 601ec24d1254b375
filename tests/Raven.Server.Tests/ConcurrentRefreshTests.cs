using System.Net;
using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests;

/// <summary>
/// Two browser tabs share one cookie jar; when both see an expired access token they may POST /auth/refresh with
/// the same refresh cookie at the same moment. Behaviour (written down in docs/operations.md): the refresh token is
/// single-use, so exactly one tab gets new tokens; the other use counts as reuse of a rotated token, which revokes
/// the whole session family, so the winner's new refresh token is refused too and both tabs must sign in again
/// once their access tokens expire. The winner's access token stays valid until it expires (a JWT is not revoked).
/// </summary>
public sealed class ConcurrentRefreshTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RavenTestServer Server => fixture.Server;

    [Fact]
    public async Task Two_tabs_refreshing_the_same_cookie_at_once_one_wins_and_the_family_is_revoked()
    {
        var user = await Server.NewUserAsync("tabs");
        var refreshToken = user.Client.CookieValue("refreshToken");
        Assert.False(string.IsNullOrEmpty(refreshToken));

        using var tab1 = new ApiClient(Server.BaseUrl, useCookies: false);
        using var tab2 = new ApiClient(Server.BaseUrl, useCookies: false);
        var results = await Task.WhenAll(Refresh(tab1, refreshToken!), Refresh(tab2, refreshToken!));

        var winner = Assert.Single(results, r => r.Status == HttpStatusCode.OK);
        var loser = Assert.Single(results, r => r.Status != HttpStatusCode.OK);
        loser.AssertError(HttpStatusCode.Unauthorized);

        var rotated = Cookie(winner, "refreshToken");
        var access = Cookie(winner, "accessToken");
        Assert.NotEqual(refreshToken, rotated);

        // The family is revoked: the rotated token is refused as well...
        using var later = new ApiClient(Server.BaseUrl, useCookies: false);
        (await Refresh(later, rotated)).AssertError(HttpStatusCode.Unauthorized);

        // ...while the access token issued to the winner works until it expires.
        using var bearer = new ApiClient(Server.BaseUrl, useCookies: false) { Bearer = access };
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/api/v1/auth/me")).Status);
    }

    private static Task<ApiResponse> Refresh(ApiClient client, string refreshToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/refresh");
        request.Headers.Add("Cookie", $"refreshToken={refreshToken}");
        return client.SendAsync(request);
    }

    private static string Cookie(ApiResponse response, string name)
    {
        var header = response.SetCookies.Single(c => c.StartsWith(name + "=", StringComparison.Ordinal));
        return header[(name.Length + 1)..header.IndexOf(';', StringComparison.Ordinal)];
    }
}
