import { listingChanges, listingFormValues } from './listing-form';

const saved = listingFormValues({
  name: 'Weather',
  slug: 'weather',
  summary: 'Forecasts.',
  description: '# Weather\n\nForecasts for anywhere.',
  category: 'data',
  tags: ['weather', 'climate'],
  upstreamLiveUrl: 'https://weather.example/v1',
  websiteUrl: 'https://weather.example',
  visibility: 'public',
});

describe('listingChanges', () => {
  it('sends nothing when nothing changed, whitespace and tag spacing aside', () => {
    expect(listingChanges(saved, { ...saved, summary: ' Forecasts. ', tags: 'weather ,climate,' })).toEqual(
      {},
    );
  });

  it('sends only the changed fields, trimmed', () => {
    expect(
      listingChanges(saved, {
        ...saved,
        summary: 'Hourly forecasts. ',
        description: '# Weather\n\nNow hourly.',
      }),
    ).toEqual({ summary: 'Hourly forecasts.', description: '# Weather\n\nNow hourly.' });
  });

  it('sends the tags as a list, in the order written', () => {
    expect(listingChanges(saved, { ...saved, tags: 'climate, weather, rain' })).toEqual({
      tags: ['climate', 'weather', 'rain'],
    });
    expect(listingChanges(saved, { ...saved, tags: '' })).toEqual({ tags: [] });
  });

  it('removes the website when its field is emptied', () => {
    expect(listingChanges(saved, { ...saved, websiteUrl: '  ' })).toEqual({ websiteUrl: null });
  });

  it('reads an api listing without a website as an empty field', () => {
    expect(listingFormValues({ ...saved, tags: [], websiteUrl: null })).toMatchObject({
      tags: '',
      websiteUrl: '',
    });
  });
});
