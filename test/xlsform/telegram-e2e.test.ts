/**
 * A real form from pyxform's test suite, widgets.xlsx (every ODK widget; barcode, audio and video
 * left out with --skip-unsupported), completed by a villager on Telegram through the local Bot
 * API: the real channel, inbox, outbox and dispatcher, the conversation service and the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberModel, SubmissionModel } from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import { importXlsForm } from '../../src/xlsform/import.js';
import { useTestDatabase } from '../helpers/db.js';
import { oggOpus } from '../helpers/ogg.js';
import { TelegramUser } from '../helpers/telegram-user.js';
import { startHarness, type Harness, type ScriptedHandler } from '../telegram/harness.js';
import { readFixture, serviceWith } from './helpers.js';

useTestDatabase();

describe('a real XLSForm completed on Telegram', () => {
  let harness: Harness;

  beforeAll(async () => {
    await seedVillages();
    const widgets = await importXlsForm(await readFixture('pyxform/widgets.xlsx'), 'widgets.xlsx', { skipUnsupported: true, roles: ['warga'] });
    const service = await serviceWith(widgets);
    // The conversation service stands where the harness's scripted handler would.
    // Both sides allow a burst a person could not type, as the service's own Telegram test does.
    harness = await startHarness('polling', { fake: { limits: { perChatBurst: 60 } }, rateLimits: { perChatBurst: 60 }, handler: service as unknown as ScriptedHandler });
  });

  afterAll(async () => {
    await harness.close();
  });

  it('widgets.xlsx: registered, then every widget a chat can ask, answered by typing and tapping', async () => {
    const { fake } = harness;
    const user = new TelegramUser(fake, 7301, 'Abdul');
    user.say('/start');
    user.press('Ya', await user.expect(/Apakah Anda setuju/));
    user.press('Tidak', await user.expect(/di bawah 17/));
    user.say('Abdul Rahman');
    user.press('Teluk Waru', await user.expect(/kecamatan mana/));
    await user.expect(/nama desa Anda/);
    user.say('Solang');
    user.press('Warga desa', await user.expect(/ikut sebagai apa/));
    user.press('Kirim', await user.expect(/Periksa jawaban/));
    user.press('widgets', await user.expect(/Mau melakukan apa/));

    await user.expect(/string widget/);
    user.say('halo dari Solang');
    await user.expect(/integer widget/);
    user.say('12');
    await user.expect(/number must be less than 10/);
    user.say('7');
    // A default: its skip button says what skipping stores.
    const decimal = await user.expect(/decimal widget/);
    expect(user.buttons(decimal)).toContain('Lewati (18,31)');
    user.press('Lewati (18,31)', decimal);
    await user.expect(/date widget/);
    user.say('besok');
    await user.expect(/time widget/);
    user.say('jam 2 siang');
    await user.expect(/select multiple widget/);
    user.say('3, 4');
    await user.expect(/option c and d cannot be selected together/);
    user.say('1, 3');
    user.press('option 2', await user.expect(/select one widget/));
    // trigger: the acknowledge widget.
    user.press('OK', await user.expect(/acknowledge widget/));
    await user.expect(/review widget\. is your email still OK\?/);
    await user.expect(/geopoint widget/);
    fake.sendLocation(user.id, -3.5167, 130.6667);
    await user.expect(/image widget/);
    fake.sendPhoto(user.id, { caption: 'rumah' });
    // XLSForm audio: a voice note, with its length said in the review.
    await user.expect(/audio widget/);
    fake.sendVoice(user.id, oggOpus(12), { duration: 12 });
    await user.expect(/String field that uses only numbers/);
    user.say('0812 345');
    await user.expect(/Geopoint with map Widget/);
    user.say('lewati');
    // dateTime: the date, then the time of that day.
    await user.expect(/Date and Time Widget/);
    user.say('28-11-2026');
    await user.expect(/Tanggal 28 November 2026\. Jam berapa\?/);
    user.say('09.30');
    user.press('option a', await user.expect(/Spinner Widget: Select 1/));
    await user.expect(/Spinner Widget: Select All/);
    user.say('2');
    user.press('option b', await user.expect(/Select Widget - Auto Advance/));
    user.press('a', await user.expect(/^Grid test/m));
    user.press('b', await user.expect(/Grid auto-advance test/));
    await user.expect(/List Group/);
    user.press('Yes', await user.expect(/Labeled Choices/));
    user.press('No', await user.expect(/^Q1/m));
    user.press('Yes', await user.expect(/^Question 2/m));
    await user.expect(/An easier to specify list group/);
    user.press('No', await user.expect(/^Q1/m));
    user.press('No', await user.expect(/^Question 2/m));
    await user.expect(/Multi List Group/);
    // Choices without a label show their name.
    const happy = await user.expect(/Multi Choice List/);
    expect(user.buttons(happy)).toEqual(expect.arrayContaining(['happy', 'sad']));
    user.say('happy');
    await user.expect(/^Brian/m);
    user.say('sad');
    await user.expect(/^Michael/m);
    user.say('lewati');
    await user.expect(/easier to specify multi list group/);
    await user.expect(/^Brian/m);
    user.say('1, 2');
    await user.expect(/^Michael/m);
    user.say('happy');
    const summary = await user.expect(/Periksa jawaban/);
    expect(summary.text).toContain('Date and Time Widget: 28 November 2026 09.30');
    expect(summary.text).toContain('Pesan suara 0:12 ✓');
    user.press('Kirim', summary);
    await user.expect(/Terima kasih, jawaban Anda sudah kami terima/);

    const member = await MemberModel.findOne({ channel: 'telegram', platformUserId: String(user.id) }).lean();
    const submission = await SubmissionModel.findOne({ memberId: member?._id, flowId: 'widgets' }).lean();
    expect(submission?.answers).toMatchObject({
      my_string: 'halo dari Solang',
      my_int: 7,
      my_decimal: 18.31,
      my_date: '2026-11-28',
      my_time: '14:00',
      my_select: ['a', 'c'],
      my_select1: '2',
      my_trigger: 'OK',
      my_geopoint: { latitude: -3.5167, longitude: 130.6667 },
      my_image: { fileId: expect.any(String), caption: 'rumah' },
      my_audio: { kind: 'voice', fileId: expect.any(String), seconds: 12, mimeType: 'audio/ogg' },
      numberAsString: '0812 345',
      locationMap: null,
      // 09.30 in Jayapura (UTC+9).
      dateTime: '2026-11-28T00:30:00.000Z',
      spinner: 'a',
      spinner_all: ['b'],
      selectadvance: 'b',
      grid_test: 'a',
      grid_test_audio: 'b',
      table_list_test_label: 'yes',
      happy_sad_second_method: ['happy'],
      happy_sad_brian2: ['sad'],
      happy_sad_michael2: null,
      happy_sad_brian: ['happy', 'sad'],
      happy_sad_michael: ['happy'],
    });
    expect(Object.keys(submission!.answers as object)).not.toContain('my_barcode');
  }, 120_000);
});
