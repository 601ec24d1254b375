namespace Raven.Chat.Tests;

public class ObjectIdsTests
{
    [Fact]
    public void NewId_is_24_lower_case_hex()
    {
        string id = ObjectIds.NewId();
        Assert.Equal(24, id.Length);
        Assert.Matches("^[0-9a-f]{24}$", id);
        Assert.True(ObjectIds.IsValid(id));
    }

    [Fact]
    public void NewId_starts_with_big_endian_unix_seconds()
    {
        // A private generator: stamping the shared one with 2030 would push every later id in this process
        // (all other Chat tests) onto the "clock went back" counter path.
        var at = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        string id = new ObjectIdGenerator().NewId(at);
        Assert.Equal(at.ToUnixTimeSeconds().ToString("x8", System.Globalization.CultureInfo.InvariantCulture), id[..8]);
        Assert.True(ObjectIds.GetTimestamp(id) >= at);
    }

    [Fact]
    public void Process_part_is_fixed_and_counter_increments()
    {
        string a = ObjectIds.NewId();
        string b = ObjectIds.NewId();
        Assert.Equal(a[8..18], b[8..18]);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Ids_are_strictly_increasing_within_one_second_and_across_threads()
    {
        var at = DateTimeOffset.UtcNow;
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 5000; i++)
            {
                ids.Add(ObjectIds.NewId(at));
            }
        });
        Assert.Equal(20000, ids.Distinct().Count());

        string previous = ObjectIds.NewId(at);
        for (int i = 0; i < 10000; i++)
        {
            string next = ObjectIds.NewId(at);
            Assert.True(string.CompareOrdinal(previous, next) < 0, $"{previous} !< {next}");
            previous = next;
        }
    }

    [Fact]
    public void A_clock_step_back_does_not_break_ordering()
    {
        var generator = new ObjectIdGenerator();
        string later = generator.NewId(DateTimeOffset.UtcNow.AddHours(1));
        string earlierClock = generator.NewId(DateTimeOffset.UtcNow);
        Assert.True(string.CompareOrdinal(later, earlierClock) < 0);
    }

    [Fact]
    public void Shared_generator_is_not_stamped_into_the_future_by_these_tests()
    {
        // Runs in any order with the tests above: the shared generator must still follow the real clock.
        string id = ObjectIds.NewId();
        Assert.True(ObjectIds.GetTimestamp(id) < DateTimeOffset.UtcNow.AddMinutes(1), id);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("507f1f77bcf86cd79943901")]
    [InlineData("507f1f77bcf86cd7994390111")]
    [InlineData("507F1F77BCF86CD799439011")]
    [InlineData("507f1f77bcf86cd79943901g")]
    [InlineData("507f1f77-cf86cd799439011")]
    [InlineData(" 07f1f77bcf86cd799439011")]
    public void IsValid_rejects_malformed(string? value) => Assert.False(ObjectIds.IsValid(value));

    [Fact]
    public void IsValid_accepts_mongo_example() => Assert.True(ObjectIds.IsValid("507f1f77bcf86cd799439011"));

    [Fact]
    public void GetTimestamp_rejects_invalid() => Assert.Throws<FormatException>(() => ObjectIds.GetTimestamp("nope"));
}
