using System.Net;
using Raven.EngineIO.Tests.Infrastructure;

namespace Raven.EngineIO.Tests;

public sealed class TmpStress(ConformanceFixture server) : IClassFixture<ConformanceFixture>
{
    [Fact]
    public async Task Stress()
    {
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var client = new EioClient(server.BaseUrl);
            var (sid, _) = await client.HandshakeAsync();
            for (var round = 0; round < 4; round++)
            {
                var r = await client.PollAsync(sid);
                if (r != (HttpStatusCode.OK, "2")) { errors.Enqueue($"{i} round {round} GET {r}"); return; }
                var p = await client.SendAsync(sid, "3");
                if (p != (HttpStatusCode.OK, "ok")) { errors.Enqueue($"{i} round {round} POST {p}"); return; }
            }
        }));
        Assert.Empty(errors);
    }
}
