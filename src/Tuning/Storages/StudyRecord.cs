namespace Unified.Tuning.Storages;

/// <summary>A study as a storage knows it.</summary>
/// <param name="StudyId">The storage's id of the study.</param>
/// <param name="Name">The study's unique name.</param>
/// <param name="Direction">Whether it minimises or maximises.</param>
public sealed record StudyRecord(long StudyId, string Name, StudyDirection Direction);
